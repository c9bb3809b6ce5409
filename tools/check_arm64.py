"""Check the runtime on arm64 without ARM hardware: an arm64 Debian root made
with Debian's own packages (debootstrap, qemu-user-static), the project's
wheel installed there with its ``runtime`` and ``runtime-mnn`` extras from
PyPI's aarch64 wheels, and ``shufflenet-det-predict`` run under emulation on
a ThunderNet export and an image in ONNX Runtime and MNN; its boxes are
compared with the same run on this machine. Parity, not speed: emulated time
means nothing. Exit status 1 where an engine's agreement (the runtime
self-check's measure) is below 0.95. Needs root, the network and
binfmt_misc; takes minutes (the root is kept for the next run). Not part of
the package.

    sudo python tools/check_arm64.py --root /var/tmp/arm64-root
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from shufflenet_det.runtime.self_check import MATCH_IOU, agreement  # noqa: E402

CONFIG = 'configs/thundernet/thundernet_snet146_cem-80e_coco-320.py'
# every box of the random-weight detector kept, so that there are boxes to compare
KEEP_BOXES = {'model.test_cfg.rcnn.score_thr': 0.,
              'model.test_cfg.rcnn.max_per_img': 50}
PACKAGES = 'python3,python3-venv,ca-certificates,libglib2.0-0'
ENGINES = ('onnxruntime', 'mnn')
# below this agreement the emulated engine computes something else (a broken
# kernel gives 0-0.5); above it, single boxes of a random-weight model may
# differ between CPUs' kernels
LEAST_AGREEMENT = 0.95
HOST_CERTIFICATES = os.environ.get('PIP_CERT', '/etc/ssl/certs/ca-certificates.crt')


def run(*command, **kwargs):
    print('+', ' '.join(command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def enable_emulation():
    """qemu-user-static for arm64, registered with binfmt_misc (in a
    container without systemd, the package does not register it)."""
    if not shutil.which('qemu-aarch64-static') or not shutil.which('debootstrap'):
        run('apt-get', 'update', '-q')
        run('apt-get', 'install', '-y', '--no-install-recommends', 'debootstrap',
            'qemu-user-static')
    binfmt = '/proc/sys/fs/binfmt_misc'
    if not osp.exists(osp.join(binfmt, 'register')):
        run('mount', '-t', 'binfmt_misc', 'binfmt_misc', binfmt)
    if not osp.exists(osp.join(binfmt, 'qemu-aarch64')):
        with open('/usr/lib/binfmt.d/qemu-aarch64.conf') as f:
            entry = f.read().strip()
        with open(osp.join(binfmt, 'register'), 'w') as f:
            f.write(entry)


def make_root(root, suite, mirror):
    """An arm64 Debian ``suite`` at ``root`` with Python and a venv holding
    the project's wheel with the runtime extras."""
    if not osp.exists(osp.join(root, 'usr', 'bin', 'python3')):
        run('debootstrap', '--arch=arm64', '--variant=minbase',
            f'--include={PACKAGES}', suite, root, mirror)
    shutil.copy('/etc/resolv.conf', osp.join(root, 'etc', 'resolv.conf'))
    # this machine's certificate authorities (a TLS proxy's among them)
    shutil.copy(HOST_CERTIFICATES, osp.join(root, 'etc', 'host-certificates.crt'))
    with tempfile.TemporaryDirectory() as folder:
        run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', folder, ROOT)
        wheel = glob.glob(osp.join(folder, '*.whl'))[0]
        shutil.copy(wheel, osp.join(root, 'tmp'))
    in_root = f'/tmp/{osp.basename(wheel)}'
    run('chroot', root, 'python3', '-m', 'venv', '/venv')
    run('chroot', root, '/venv/bin/pip', 'install', '-q', '--only-binary=:all:',
        '--cert', '/etc/host-certificates.crt', f'{in_root}[runtime,runtime-mnn]',
        env=dict(PATH='/usr/sbin:/usr/bin:/sbin:/bin', HOME='/root'))


def export_model(folder):
    """A random-weight ThunderNet SNet146 (every box kept), exported, and an
    image: their paths. Its class scores are spread 100x and its box deltas
    10x, so that no two boxes tie at the cut of the 50 kept or overlap at
    exactly the NMS threshold (untrained boxes are anchors a stride apart),
    where two correct NMS may keep different boxes."""
    import torch
    from mmdet.apis import init_detector
    from mmengine.config import Config

    from shufflenet_det.deploy import export_onnx
    from shufflenet_det.tools.benchmark_runtime import write_image
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    cfg.merge_from_dict(KEEP_BOXES)
    torch.manual_seed(0)
    detector = init_detector(cfg, None, device='cpu')
    with torch.no_grad():
        detector.roi_head.bbox_head.fc_cls.weight.mul_(100)
        detector.roi_head.bbox_head.fc_reg.weight.mul_(10)
    checkpoint = osp.join(folder, 'weights.pth')
    model = osp.join(folder, 'thundernet.onnx')
    torch.save(dict(state_dict=detector.state_dict()), checkpoint)
    export_onnx(cfg, checkpoint, model)
    run(sys.executable, '-m', 'shufflenet_det.runtime.mnn', model,
        osp.join(folder, 'thundernet.mnn'), cwd=ROOT)
    return model, write_image(folder, (480, 640))


def predict(prefix, folder, model, image, engine, out):
    """shufflenet-det-predict's boxes for ``image`` (paths inside ``folder``
    as ``prefix`` sees it), run by ``prefix`` (chroot or nothing)."""
    command = (*prefix, '/venv/bin/shufflenet-det-predict') if prefix else (
        sys.executable, '-m', 'shufflenet_det.runtime.predict')
    run(*command, model, image, '--engine', engine,
        '--out-dir', out, '--score-thr', '0', '--threads', '1')
    stem = osp.splitext(osp.basename(image))[0]
    with open(osp.join(folder, osp.basename(out), 'preds', f'{stem}.json')) as f:
        return json.load(f)


def compare(native, emulated, atol=1e-2):
    """(matched, total): boxes of ``native`` with a box of ``emulated`` of
    the same label within ``atol`` px and score within 1e-3, each used once."""
    boxes, used = np.array(emulated['bboxes']).reshape(-1, 4), set()
    matched = 0
    for box, score, label in zip(native['bboxes'], native['scores'],
                                 native['labels']):
        for j, (other, other_score, other_label) in enumerate(zip(
                boxes, emulated['scores'], emulated['labels'])):
            if (j not in used and other_label == label
                    and abs(other_score - score) <= 1e-3
                    and np.abs(other - box).max() <= atol):
                used.add(j)
                matched += 1
                break
    return matched, max(len(native['scores']), len(emulated['scores']))


def check(root):
    """Predict on this machine and in ``root`` under emulation with each
    engine and compare; whether any engine's boxes differ."""
    machine = subprocess.run(['chroot', root, 'uname', '-m'], check=True,
                             capture_output=True, text=True).stdout.strip()
    folder = osp.join(root, 'check')
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    model, image = export_model(folder)
    failed = False
    for engine in ENGINES:
        name = osp.join('/check', osp.basename(model if engine != 'mnn' else
                                               model.replace('.onnx', '.mnn')))
        native = predict((), folder, osp.join(folder, osp.basename(name)), image,
                         engine, osp.join(folder, f'x86_64-{engine}'))
        emulated = predict(('chroot', root), folder, name, '/check/image.jpg',
                           engine, f'/check/{machine}-{engine}')
        matched, total = compare(native, emulated)
        score = agreement(as_detections(native), as_detections(emulated), MATCH_IOU)
        print(f'{engine}: {machine} under emulation vs this machine: {matched} of '
              f'{total} boxes equal (same label, within 0.01 px, score within 1e-3); '
              f'agreement {score:.3f} (the runtime self-check\'s measure)')
        failed |= total == 0 or score < LEAST_AGREEMENT
    return failed


def as_detections(result):
    """A predict JSON as (dets (N, 5), labels (N,))."""
    boxes = np.array(result['bboxes'], np.float32).reshape(-1, 4)
    scores = np.array(result['scores'], np.float32)[:, None]
    return np.hstack([boxes, scores]), np.array(result['labels'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default='/var/tmp/arm64-root',
                        help='the arm64 Debian root (made if missing, kept)')
    parser.add_argument('--suite', default='bookworm')
    parser.add_argument('--mirror', default='http://deb.debian.org/debian')
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error('needs root (debootstrap, binfmt_misc, chroot)')
    enable_emulation()
    make_root(args.root, args.suite, args.mirror)
    proc = osp.join(args.root, 'proc')
    mounted = not osp.ismount(proc)
    if mounted:
        run('mount', '-t', 'proc', 'proc', proc)
    try:
        failed = check(args.root)
    finally:
        if mounted:
            run('umount', proc)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
