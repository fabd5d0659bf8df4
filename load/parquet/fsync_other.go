//go:build !linux

package parquet

func exchangeDirsOS(a, b string) error { return errExchangeUnsupported }
