// Package swar holds what the hot paths share to look at eight bytes of a
// string at once (SIMD within a register): the report parser finds commas
// with it, the scan's JSON writer finds bytes that need escaping.
package swar

// Word returns s[i:i+8] as a little-endian number (the compiler makes the
// eight loads one, and inlines the call).
func Word(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}
