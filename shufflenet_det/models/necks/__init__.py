from .cem import CEM

__all__ = ['CEM']
