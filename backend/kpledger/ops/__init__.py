"""Operating the backend: metrics (`metrics`), structured logs (`logs`)."""
