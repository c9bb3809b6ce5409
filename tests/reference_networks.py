"""Third-party networks restated from their published code, for the weight
converters' parity tests: Megvii's ShuffleNet-Series (``network.py`` /
``blocks.py``) and the SNet of a ThunderNet training repository."""
import torch
import torch.nn.functional as F
from torch import nn


class MegviiShuffleV1Block(nn.Module):

    def __init__(self, inp, oup, *, group, first_group, mid_channels, stride):
        super().__init__()
        self.stride, self.group = stride, group
        outputs = oup - inp if stride == 2 else oup
        self.branch_main_1 = nn.Sequential(
            nn.Conv2d(inp, mid_channels, 1, 1, 0, groups=1 if first_group else group,
                      bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, mid_channels, 3, stride, 1, groups=mid_channels,
                      bias=False),
            nn.BatchNorm2d(mid_channels))
        self.branch_main_2 = nn.Sequential(
            nn.Conv2d(mid_channels, outputs, 1, 1, 0, groups=group, bias=False),
            nn.BatchNorm2d(outputs))
        if stride == 2:
            self.branch_proj = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, old_x):
        x = self.branch_main_1(old_x)
        if self.group > 1:
            b, c, h, w = x.shape
            x = x.reshape(b, c // self.group, self.group, h, w).permute(0, 2, 1, 3, 4)
            x = x.reshape(b, c, h, w)
        x = self.branch_main_2(x)
        if self.stride == 1:
            return F.relu(x + old_x)
        return torch.cat((self.branch_proj(old_x), F.relu(x)), 1)


class MegviiShuffleV2Block(nn.Module):
    """Megvii's ShuffleNetV2 unit; ThunderNet's snet-training has the same one
    with 5x5 depthwise convs and its branches named ``branch`` (main) and
    ``branch_left`` (shortcut)."""

    def __init__(self, inp, oup, mid_channels, *, stride, kernel_size=3,
                 names=('branch_main', 'branch_proj')):
        super().__init__()
        self.stride, self.names = stride, names
        pad = kernel_size // 2
        setattr(self, names[0], nn.Sequential(
            nn.Conv2d(inp, mid_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, mid_channels, kernel_size, stride, pad,
                      groups=mid_channels, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.Conv2d(mid_channels, oup - inp, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup - inp), nn.ReLU(inplace=True)))
        if stride == 2:
            setattr(self, names[1], nn.Sequential(
                nn.Conv2d(inp, inp, kernel_size, stride, pad, groups=inp, bias=False),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, inp, 1, 1, 0, bias=False),
                nn.BatchNorm2d(inp), nn.ReLU(inplace=True)))

    def forward(self, old_x):
        main = getattr(self, self.names[0])
        if self.stride == 1:
            b, c, h, w = old_x.shape
            x = old_x.reshape(b * c // 2, 2, h * w).permute(1, 0, 2)
            x = x.reshape(2, -1, c // 2, h, w)
            return torch.cat((x[0], main(x[1])), 1)
        return torch.cat((getattr(self, self.names[1])(old_x), main(old_x)), 1)


class MegviiShuffleNet(nn.Module):
    """Official ShuffleNetV1 (``group`` set) or ShuffleNetV2 (``group=None``)."""

    def __init__(self, stage_out_channels, group=None):
        super().__init__()
        stem = stage_out_channels[1]
        self.first_conv = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False),
                                        nn.BatchNorm2d(stem), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        features, self.stage_ends, inp = [], [], stem
        for stage, repeats in enumerate((4, 8, 4)):
            oup = stage_out_channels[stage + 2]
            for i in range(repeats):
                if group:
                    features.append(MegviiShuffleV1Block(
                        inp, oup, group=group, first_group=stage == 0 and i == 0,
                        mid_channels=oup // 4, stride=2 if i == 0 else 1))
                else:
                    features.append(MegviiShuffleV2Block(
                        inp if i == 0 else inp // 2, oup, oup // 2,
                        stride=2 if i == 0 else 1))
                inp = oup
            self.stage_ends.append(len(features) - 1)
        self.features = nn.Sequential(*features)
        if not group:
            last = stage_out_channels[-1]
            self.conv_last = nn.Sequential(nn.Conv2d(inp, last, 1, 1, 0, bias=False),
                                           nn.BatchNorm2d(last), nn.ReLU(inplace=True))
            inp = last
        self.classifier = nn.Sequential(nn.Linear(inp, 1000, bias=False))

    def forward(self, x):
        x = self.maxpool(self.first_conv(x))
        outs = []
        for index, block in enumerate(self.features):
            x = block(x)
            if index in self.stage_ends:
                outs.append(x)
        if hasattr(self, 'conv_last'):
            x = self.conv_last(x)
            outs.append(x)
        return [*outs, self.classifier(x.mean((2, 3)))]


class ThunderNetSNet(nn.Module):
    """ThunderNet's ``snet-training/network.py`` (SNet146: stem 24, stages
    132 / 264 / 528 of 5x5 units under ``stage.{s}.{u}``, no Conv5, an FC
    without bias), restated."""

    def __init__(self, stage_channels=(132, 264, 528), stem=24):
        super().__init__()
        self.first_conv = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False),
                                        nn.BatchNorm2d(stem), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stages, inp = [], stem
        for oup, repeats in zip(stage_channels, (4, 8, 4)):
            stages.append(nn.Sequential(*[
                MegviiShuffleV2Block(inp if i == 0 else oup // 2, oup, oup // 2,
                                     stride=2 if i == 0 else 1, kernel_size=5,
                                     names=('branch', 'branch_left'))
                for i in range(repeats)]))
            inp = oup
        self.stage = nn.Sequential(*stages)
        self.classifier = nn.Sequential(nn.Linear(inp, 1000, bias=False))

    def forward(self, x):
        x = self.maxpool(self.first_conv(x))
        outs = []
        for stage in self.stage:
            x = stage(x)
            outs.append(x)
        return [*outs, self.classifier(x.mean((2, 3)))]
