"""Check a COCO 2017 layout (DATA_ROOT/annotations/instances_{train,val}2017.json,
DATA_ROOT/{train,val}2017/) and say exactly what is missing
(shufflenet_det.tools.check_coco; installed as ``shufflenet-det-check-coco``)."""
import sys

from shufflenet_det.tools.check_coco import main

if __name__ == '__main__':
    sys.exit(main())
