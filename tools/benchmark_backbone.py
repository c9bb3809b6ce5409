"""Backbone latency at the ShuffleNet v1 paper's Table 8 sizes, in PyTorch,
ONNX Runtime and OpenVINO (one process per engine), with ratios to the
fastest MobileNet v1 and the spread of the rounds
(shufflenet_det.tools.benchmark_backbone)."""
from shufflenet_det.tools.benchmark_backbone import main

if __name__ == '__main__':
    main()
