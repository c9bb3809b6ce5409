"""Check that a detector config's anchors reach the boxes of its training
data (shufflenet_det.tools.check_anchors; installed as
``shufflenet-det-check-anchors``)."""
import sys

from shufflenet_det.tools.check_anchors import main

if __name__ == '__main__':
    sys.exit(main())
