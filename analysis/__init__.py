"""The evidence: the statistics behind every verdict, re-training over seeds and the defaults
report (the findings on the course note's claims, which use it, are a package above it).

    statistics.py      the paired comparison and its three verdicts, the sequential seed plan
    retraining.py      configurations re-trained over seeds, as populations, in processes
    report_inputs.py   the defaults report's inputs (options, study, sweep file), checked
    defaults_report.py its procedure: selection, comparisons in rounds, safe ranges; its data
                       (defaults_result.py); importances.py
    report_outputs.py  its outputs: Markdown (defaults_markdown.py), figures
                       (defaults_figures.py), the MLflow runs (tracking/report_runs.py)
    bands.py           a mean curve over seeds and its 95% t interval per epoch, and
                       seed_bands.py, the report's configurations as such bands in MLflow
                       (band_figures.py draws them)
    formatting.py, canvas.py   numbers and tables as printed; one way to draw a figure

Reads studies through `sweeps`, trains through `core`, logs through `tracking`; nothing below
imports this package.
"""
