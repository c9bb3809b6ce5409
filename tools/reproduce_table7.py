"""Reproduce the ShuffleNet v1 paper's Table 7: train and test every cell
(C4 Faster R-CNN, ShuffleNet 1x/2x g=3 and MobileNet 1.0 at short sides 300
and 600) and write results/table7.{md,json} beside the paper's mAP
(shufflenet_det.tools.reproduce; installed as ``shufflenet-det-reproduce``).

Needs COCO 2017 under data/coco (tools/check_coco.py) and the converted
ImageNet checkpoints the configs name (tools/convert_weights.py). --smoke
runs the same pipeline on a generated dataset with a 2-iteration schedule.
"""
import sys

from shufflenet_det.tools.reproduce import main

if __name__ == '__main__':
    sys.exit(main())
