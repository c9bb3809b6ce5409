"""The ImageNet classifier around a backbone: what the papers count and what
peers' ImageNet checkpoints hold."""
import torch
from torch import nn


class ImageNetClassifier(nn.Module):
    """Backbone + global average pool + FC, the model the papers count."""

    def __init__(self, backbone: nn.Module, num_classes: int = 1000):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.stage_channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.backbone(x)[-1]
        return self.fc(features.mean(dim=(2, 3)))
