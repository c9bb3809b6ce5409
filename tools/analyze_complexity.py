"""Print multiply-adds and parameters of every model in the papers' tables,
counted by mmengine.analysis, next to the papers' figures
(shufflenet_det.tools.complexity; installed as ``shufflenet-det-complexity``)."""
import sys

from shufflenet_det.tools.complexity import main

if __name__ == '__main__':
    sys.exit(main())
