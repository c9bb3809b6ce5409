"""Export a trained Faster R-CNN (C4 or FPN config) to one ONNX file for
inputs of a fixed size: input `input` float32 [1, 3, H, W], the image as
LoadImageFromFile reads it (BGR, 0-255) resized by the config's test
pipeline and zero-padded at the bottom/right; outputs `dets` [1, N, 5]
(x1, y1, x2, y2, score in input pixels) and `labels` [1, N] int64.
Run it with shufflenet_det.runtime.Detector or shufflenet-det-predict."""
import argparse

from ..config_options import add_config_options
from ..deploy import export_onnx


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='trained weights (.pth)')
    parser.add_argument('out', help='ONNX file to write')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size (default: the test Resize scale, '
                        'landscape, padded to the size divisor)')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint that does not fit the model '
                        '(what fits; the rest random) instead of refusing it')
    add_config_options(parser)
    args = parser.parse_args()
    try:
        shape = export_onnx(args.config, args.checkpoint, args.out, args.shape,
                            args.cfg_options, args.allow_partial)
    except (ValueError, FileNotFoundError) as error:  # bad config, checkpoint or
        # output path; what the export cannot reproduce
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    print(f'{args.out}: input [1, 3, {shape[0]}, {shape[1]}], outputs dets, labels')


if __name__ == '__main__':
    main()
