"""Quantize a detector exported by tools/export_onnx.py to int8, calibrated on
images of the config's own dataset (train or val split) put through its test
pipeline and zero-padded as the exported graph takes them. The int8 file has
the same input, outputs and metadata, so shufflenet_det.deploy.OnnxDetector and
openvino_model run it as they run the fp32 one."""
import argparse

from mmengine.config import DictAction

from shufflenet_det.deploy.quantize import QUANTIZERS, SPLITS, quantize_detector


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
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args()
    try:
        quantize_detector(args.config, args.model, args.out, args.calib_images,
                          args.calib_split, args.quantizer, args.cfg_options)
    except ValueError as error:  # bad files, splits, counts
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    print(f'{args.out}: int8 ({args.quantizer}), calibrated on {args.calib_images} '
          f'{args.calib_split} images')


if __name__ == '__main__':
    main()
