"""Development only: the embedded chain (`chain`), the test and benchmark harness (`stack`), `make run` (`run`) and
the demo journey (`demo`). `python -m kpledger.dev run|chain|demo` starts them. Unlike the production packages, this
one may locate the source tree (`chain.ROOT`: its contract build, `node_modules`' anvil and Hardhat)."""
