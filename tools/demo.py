"""CPU demo: train a ShuffleNet Faster R-CNN on a generated shapes dataset,
evaluate COCO bbox mAP on its held-out split and draw predicted boxes
(shufflenet_det.demo; installed as ``shufflenet-det-demo``)."""
from shufflenet_det.demo import main

if __name__ == '__main__':
    main()
