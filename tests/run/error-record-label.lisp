(record "not a symbol" 1)
