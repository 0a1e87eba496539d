"""The gas report's parts (`scripts/gas_report.py`, `make gas`): the floor model (`floor`), the deployed contracts and
actors (`stage`), the measured operations (`scenarios`), the checks and the output (`output`). The leading underscore
keeps `ape run` from listing this folder as scripts."""
