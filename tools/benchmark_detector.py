"""Per-image inference time of the Table 7 C4 and the FPN detectors,
ShuffleNet vs MobileNet v1, in PyTorch, ONNX Runtime and OpenVINO (one
process per engine), with the spread of the rounds
(shufflenet_det.tools.benchmark_detector)."""
from shufflenet_det.tools.benchmark_detector import main

if __name__ == '__main__':
    main()
