"""Export a trained detector to one ONNX file
(shufflenet-det-export, shufflenet_det.tools.export_onnx)."""
from shufflenet_det.tools.export_onnx import main

if __name__ == '__main__':
    main()
