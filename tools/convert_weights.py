"""Convert an ImageNet checkpoint of torchvision, mmpretrain, Megvii's
ShuffleNet-Series or timm into this project's backbone layout
(shufflenet_det.converters; installed as ``shufflenet-det-convert-weights``)."""
import sys

from shufflenet_det.converters.__main__ import main

if __name__ == '__main__':
    sys.exit(main())
