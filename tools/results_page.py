"""Write a results page of the docs from the benchmark tools' ``--json``
files (and tools/sweep_demo.py's ``sweep.json``), so that its figures are
the measured ones, not typed: per file, the machine, the date, the command
and the engines' versions, then a table of every record (ms per image as
min / median / max over the interleaved rounds, the ratio of its median to
the fastest torchvision record of the same run, its stages and the tool's
columns; a sweep's variants with their mAP per seed). The page names its JSON files
in its first line; ``tests/tools/test_results_page.py`` writes every page of
``docs/results/`` again and compares. Not part of the package.

    python tools/results_page.py docs/results/runtime.md "Runtime, end to end" \\
        docs/results/runtime-amd-epyc.json
"""
import argparse
import json
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from shufflenet_det.atomic import write_text_atomically  # noqa: E402

HEADER = '<!-- written by tools/results_page.py from {files}: do not edit -->'
# a record's fields that the table shows in its own way, or not at all
RECORD_FIELDS = ('model', 'engine', 'mode', 'precision', 'quantizer', 'runs_as', 'ms',
                 'stages')
PROVENANCE = ('date', 'command', 'machine', 'versions', 'tool', 'results', 'rows',
              'torchvision')


def cell(value) -> str:
    if value is None:
        return '-'
    if isinstance(value, list):
        return 'x'.join(str(item) for item in value)
    if isinstance(value, float):
        return f'{value:.3g}' if abs(value) < 100 else f'{value:.0f}'
    return str(value)


def table(results, tool):
    """The records as a markdown table, with each median's ratio to the
    fastest baseline of the run: MobileNet v1 1.0 of the same precision for
    backbones (as the paper's Table 8 compares), torchvision's detector
    otherwise."""
    stages = list(dict.fromkeys(stage for r in results for stage in r['stages']))
    columns = list(dict.fromkeys(key for r in results for key in r
                                 if key not in RECORD_FIELDS))
    if tool == 'benchmark_backbone':
        name, group = 'MobileNet v1 1.0', lambda r: r['precision']
        is_baseline = lambda r: r['model'] == name  # noqa: E731
    else:
        name, group = 'torchvision', lambda r: None
        is_baseline = lambda r: r['model'].startswith('torchvision:')  # noqa: E731
    baselines = {}
    for r in filter(is_baseline, results):
        baselines[group(r)] = min(baselines.get(group(r), r['ms'][1]), r['ms'][1])
    head = ['model', 'runs as', 'ms min / median / max',
            *([f'/ {name}'] if baselines else []), *stages,
            *(key.replace('_', ' ') for key in columns)]
    lines = ['| ' + ' | '.join(head) + ' |', '|---' * len(head) + '|']
    for r in results:
        low, median, high = r['ms']
        baseline = baselines.get(group(r))
        ratio = f'{median / baseline:.2f}' if baseline else '-'
        row = [r['model'], r['runs_as'], f'{low:.1f} / {median:.1f} / {high:.1f}',
               *([ratio] if baselines else []),
               *(f'{r["stages"][s]:.2f}' if s in r['stages'] else '-' for s in stages),
               *(cell(r.get(key)) for key in columns)]
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def sweep_table(summary):
    """tools/sweep_demo.py's summary as a markdown table: each variant's mAP
    per seed, mean (min-max), AP50, ratio to the first variant, ms of its
    fastest engine and ratio to torchvision's."""
    def number(value, digits=3):
        return '-' if value is None else f'{value:.{digits}f}'

    def spread(ms, engine):
        low, median, high = ms
        return f'{low:.1f} / {median:.1f} / {high:.1f} ({engine})'

    lines = ['| variant | bbox mAP per seed | mean (min-max) | AP50 | x reference '
             '| ms min / median / max (engine) | x torchvision |',
             '|---|---|---|---|---|---|---|']
    for row in summary['rows']:
        maps = row['maps']
        mean = (f'{number(row["mean"])} ({min(maps):.3f}-{max(maps):.3f})'
                if maps else '-')
        ms = spread(row['ms'], row['engine']) if row['ms'] else '-'
        lines.append(f'| {row["name"]} | {" / ".join(f"{m:.3f}" for m in maps)} | '
                     f'{mean} | {number(row["ap50"])} | '
                     f'{number(row["to_reference"], 2)} | {ms} | '
                     f'{number(row["to_torchvision"], 2)} |')
    torchvision = summary.get('torchvision')
    if torchvision:
        lines.append('| torchvision MobileNetV3-320 FPN | - | - | - | - | '
                     f'{spread(torchvision["ms"], torchvision["engine"])} | 1.00 |')
    return '\n'.join(lines)


def section(path):
    """One JSON file's section: where, when, how, then its table."""
    with open(path) as f:
        measured = json.load(f)
    if 'tool' not in measured or not ('results' in measured or 'rows' in measured):
        raise SystemExit(f'{path}: not a --json file of a benchmark tool or a '
                         'sweep summary (no "tool" and "results" or "rows")')
    missing = [key for key in ('date', 'command', 'machine') if key not in measured]
    if missing:
        raise SystemExit(f'{path} has no {", ".join(missing)}: measured before the '
                         'tools recorded them; measure again')
    versions = ', '.join(f'{name} {v}' for name, v in measured.get('versions',
                                                                   {}).items())
    settings = {key: value for key, value in measured.items()
                if key not in PROVENANCE}
    lines = [f'### {measured["machine"]}, {measured["date"]}', '',
             f'`{measured["command"]}`', '', f'Versions: {versions}.']
    for key, value in settings.items():
        if isinstance(value, dict):  # e.g. cold starts: name -> seconds
            lines.append(f'{key.replace("_", " ")} (s, min / median / max):')
            for name, values in value.items():
                values = sorted(values)
                lines.append(f'- {name}: {values[0]:.2f} / '
                             f'{values[len(values) // 2]:.2f} / {values[-1]:.2f}')
        elif isinstance(value, list) and key != 'image_size':  # e.g. seeds
            lines.append(f'{key.replace("_", " ")}: {", ".join(map(str, value))}.')
        else:
            lines.append(f'{key.replace("_", " ")}: {cell(value)}.')
    body = (sweep_table(measured) if measured['tool'] == 'sweep_demo'
            else table(measured['results'], measured['tool']))
    return '\n'.join([*lines, '', body])


def render(title, files, intro=''):
    """The page for ``files`` (paths relative to the page's folder or
    absolute), titled ``title``."""
    names = ' '.join(osp.basename(path) for path in files)
    parts = [HEADER.format(files=names), f'# {title}', '']
    if intro:
        parts += [intro, '']
    parts += [section(path) + '\n' for path in files]
    return '\n'.join(parts)


def page_sources(page):
    """(title, intro, JSON files) a page written here was made from."""
    with open(page) as f:
        lines = f.read().split('\n')
    prefix, suffix = HEADER.split('{files}')
    if not (lines[0].startswith(prefix) and lines[0].endswith(suffix)):
        raise ValueError(f'{page} was not written by tools/results_page.py')
    files = lines[0][len(prefix):-len(suffix)].split()
    title = lines[1][2:]
    body = lines[3:lines.index(next(line for line in lines if line.startswith('### ')))]
    intro = '\n'.join(body).strip()
    folder = osp.dirname(page)
    return title, intro, [osp.join(folder, name) for name in files]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('page', help='the markdown page to write (docs/results/)')
    parser.add_argument('title')
    parser.add_argument('json', nargs='+', help='--json files of the benchmark '
                        'tools, beside the page')
    parser.add_argument('--intro', default='', help='a paragraph under the title')
    args = parser.parse_args()
    folder = osp.dirname(osp.abspath(args.page))
    outside = [path for path in args.json
               if osp.dirname(osp.abspath(path)) != folder]
    if outside:
        parser.error(f'{outside[0]}: allowed: JSON files in the page\'s folder '
                     f'{folder}, which the page names')
    write_text_atomically(args.page, render(args.title, args.json, args.intro))
    print(f'{args.page}: {len(args.json)} measurement(s)')


if __name__ == '__main__':
    main()
