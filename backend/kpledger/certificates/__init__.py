"""KP certificate documents: the versioned schema (`schema/kp-certificate-1.schema.json`), validation and the check
against the chain (`document`), and the printable certificate and verification slip (`render`)."""
