"""Report outputs that know no channel: charts (and, later, spreadsheets)."""
