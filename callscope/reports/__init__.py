"""HTML reports (Listen, Empower, Engage, a page per call) and close-the-loop actions from the store."""

from callscope.reports.build import ReportSummary, build_reports
from callscope.reports.selection import Filters

__all__ = ["Filters", "ReportSummary", "build_reports"]
