// A Hardhat node as a second, independent EVM implementation (Nomic Foundation's EDR) for the backend tests:
// `kpledger.dev.chain.start_hardhat` runs `hardhat --config scripts/toolchain/hardhat.config.cjs node`.
// Same chain id, mnemonic, account count and hardfork as the embedded anvil; contract size limit enforced as on
// Besu. No Solidity here: the contracts are compiled by Ape (solc-js) and deployed over JSON-RPC.
// KP_HARDHAT_BLOCK_TIME_MS: interval mining (a block every N ms, what a QBFT block period does); unset or
// empty: one block per transaction (automine).
const interval = Number(process.env.KP_HARDHAT_BLOCK_TIME_MS || 0);

module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "shanghai",
      allowUnlimitedContractSize: false,
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        count: 10,
        accountsBalance: "10000000000000000000000",
      },
      mining: interval > 0 ? { auto: false, interval } : { auto: true, interval: 0 },
      // the node logs every JSON-RPC call to stdout otherwise
      loggingEnabled: false,
      // Hardhat answers eth_sendRawTransaction with an ERROR when the transaction reverts in automine, although it
      // was mined and its nonce used; geth and Besu answer with the hash. The relayer reads such an error as "the
      // node refused it, nothing ran". false: the standard answer (the receipt's status tells). eth_call and
      // eth_estimateGas keep returning reverts as errors with their data (throwOnCallFailures, default true).
      throwOnTransactionFailures: false,
    },
  },
};
