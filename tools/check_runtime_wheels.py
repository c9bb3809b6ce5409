"""Check that the runtime extras resolve to binary wheels for a platform
(default: manylinux aarch64, the ARM boards ShuffleNet targets), so that
``pip install "shufflenet_det[runtime]"`` there needs no compiler. Asks PyPI
with ``pip download --only-binary=:all:`` (network needed); prints each
wheel and the total size, exit status 1 if an extra does not resolve.
``--print-requirements`` prints what the extras require (tools/setup_env.sh
downloads them for the offline install test)."""
import argparse
import configparser
import os
import os.path as osp
import subprocess
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def extra_requirements(extra):
    """The requirements of ``extra`` in setup.cfg."""
    config = configparser.ConfigParser()
    config.read(osp.join(ROOT, 'setup.cfg'))
    extras = config['options.extras_require']
    if extra not in extras:
        raise SystemExit(f'extra {extra!r} is not in setup.cfg; allowed: '
                         f'{", ".join(extras)}')
    return [line.strip() for line in extras[extra].splitlines() if line.strip()]


def platform_options(glibc, arch):
    """pip's --platform options for every manylinux tag a pip on a machine
    with ``glibc`` accepts (pip download takes only the tags it is given)."""
    minor = int(glibc.split('.')[1])
    tags = [f'manylinux_2_{m}_{arch}' for m in range(17, minor + 1)]
    tags.append(f'manylinux2014_{arch}')
    return [option for tag in tags for option in ('--platform', tag)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--extras', nargs='+', default=['runtime', 'runtime-openvino'])
    parser.add_argument('--glibc', nargs='+', default=['2.28', '2.35'],
                        help='glibc versions of the target (default: 2.28, e.g. '
                        'Debian 10, and 2.35, e.g. Ubuntu 22.04)')
    parser.add_argument('--arch', default='aarch64')
    parser.add_argument('--python-version', default='3.11')
    parser.add_argument('--print-requirements', action='store_true',
                        help='only print the extras\' requirements, one a line')
    args = parser.parse_args()
    if args.print_requirements:
        print(*(r for extra in args.extras for r in extra_requirements(extra)),
              sep='\n')
        return
    failed = []
    for extra, glibc in ((e, g) for e in args.extras for g in args.glibc):
        requirements = extra_requirements(extra)
        platform = f'glibc {glibc} {args.arch}'
        with tempfile.TemporaryDirectory() as folder:
            result = subprocess.run(
                [sys.executable, '-m', 'pip', 'download', '--quiet', '--only-binary',
                 ':all:', *platform_options(glibc, args.arch), '--python-version',
                 args.python_version, '-d', folder, *requirements],
                capture_output=True, text=True)
            wheels = sorted(os.listdir(folder))
            size = sum(osp.getsize(osp.join(folder, w)) for w in wheels)
        if result.returncode:
            failed.append(f'{extra} on {platform}')
            print(f'[{extra}] does not resolve for {platform}: '
                  f'{result.stderr.strip().splitlines()[-1]}')
            continue
        print(f'[{extra}] {platform}, Python {args.python_version}: '
              f'{len(wheels)} wheels, {size / 2**20:.0f} MiB')
        for wheel in wheels:
            print(f'  {wheel}')
    if failed:
        print(f'not resolved: {", ".join(failed)}')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
