"""Quantize an exported detector to int8
(shufflenet-det-quantize, shufflenet_det.tools.quantize_onnx)."""
from shufflenet_det.tools.quantize_onnx import main

if __name__ == '__main__':
    main()
