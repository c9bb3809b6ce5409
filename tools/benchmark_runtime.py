"""End-to-end time of exported detectors in the torch-free runtime (a JPEG
on disk to boxes), by stage, beside torchvision's MobileNetV3-320 Faster
R-CNN in the same run; throughput mode, bf16 and cold start
(shufflenet_det.tools.benchmark_runtime)."""
from shufflenet_det.tools.benchmark_runtime import main

if __name__ == '__main__':
    main()
