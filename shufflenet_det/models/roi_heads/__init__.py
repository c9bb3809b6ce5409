from .roi_extractors import PSRoIExtractor

__all__ = ['PSRoIExtractor']
