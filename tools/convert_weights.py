"""Convert an ImageNet checkpoint of torchvision, mmpretrain, Megvii's
ShuffleNet-Series or timm into this project's backbone layout
(shufflenet_det.tools.convert_weights; installed as
``shufflenet-det-convert-weights``)."""
import sys

from shufflenet_det.tools.convert_weights import main

if __name__ == '__main__':
    sys.exit(main())
