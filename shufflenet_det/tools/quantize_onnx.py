"""Quantize a detector exported by tools/export_onnx.py to int8, calibrated on
images of the config's own dataset (train or val split) put through its test
pipeline and zero-padded as the exported graph takes them. The int8 file has
the same input, outputs and metadata, so shufflenet_det.runtime.Detector and
openvino_model run it as they run the fp32 one.

The int8 file is checked before it is written: its detections on the probe
stored by the exporter must agree with the fp32 ones in ONNX Runtime (else
nothing is written, exit 2); where OpenVINO is installed, the file is also
loaded there, with the runtime's own self-check, and the result printed."""
import argparse
from importlib.util import find_spec

from ..config_options import add_config_options
from ..deploy.quantize import QUANTIZERS, SPLITS, quantize_detector
from ..runtime import Detector, SelfCheckError


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='the detector config it was exported from')
    parser.add_argument('model', help='fp32 ONNX file written by tools/export_onnx.py')
    parser.add_argument('out', help='int8 ONNX file to write')
    parser.add_argument('--calib-images', type=int, default=100,
                        help='calibration images, drawn from the split (default 100)')
    parser.add_argument('--calib-split', default='train', choices=SPLITS,
                        help='the dataset they come from (default: train)')
    parser.add_argument('--quantizer', default='onnxruntime', choices=QUANTIZERS,
                        help="ONNX Runtime's quantize_static or NNCF's quantize "
                        '(both write QDQ ONNX; default: onnxruntime)')
    add_config_options(parser)
    args = parser.parse_args()
    try:
        agreement = quantize_detector(args.config, args.model, args.out,
                                      args.calib_images, args.calib_split,
                                      args.quantizer, args.cfg_options)
    except (ValueError, SelfCheckError) as error:  # bad files, splits, counts;
        # an int8 file that disagrees with the fp32 one
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    checked = ('not checked: the fp32 file has no probe (export it again)'
               if agreement is None else f'agreement with the fp32 detections in '
               f'ONNX Runtime {agreement:.2f}')
    print(f'{args.out}: int8 ({args.quantizer}), calibrated on {args.calib_images} '
          f'{args.calib_split} images; {checked}')
    if agreement is not None and find_spec('openvino') is not None:
        try:
            detector = Detector(args.out, 'openvino')
            print(f'{args.out}: agreement in OpenVINO on this CPU '
                  f'{detector.agreement:.2f}')
        except SelfCheckError as error:
            print(f'warning: {error}')


if __name__ == '__main__':
    main()
