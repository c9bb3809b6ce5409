"""CPU demo: train a ShuffleNet Faster R-CNN on a generated shapes dataset,
evaluate COCO bbox mAP on its held-out split and draw predicted boxes; then
export it to ONNX and evaluate that in ONNX Runtime on the same split
(shufflenet_det.tools.demo; installed as ``shufflenet-det-demo``)."""
from shufflenet_det.tools.demo import main

if __name__ == '__main__':
    main()
