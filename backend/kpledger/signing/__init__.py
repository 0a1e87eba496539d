"""What participants sign: the EIP-712 typed data of every action and the relayer's fast digests (`typed_data`),
and the signed requests that read and file off-chain documents (`requests`)."""
