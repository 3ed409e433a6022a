"""Pure, sans-I/O logic: records, normalisation, segmentation, classification, triage."""
