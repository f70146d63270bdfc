#include "textflag.h"

// func getg() uintptr
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVD g, R0
	MOVD R0, ret+0(FP)
	RET

// func load(addr uintptr) uint64
TEXT ·load(SB),NOSPLIT,$0-16
	MOVD addr+0(FP), R0
	MOVD (R0), R0
	MOVD R0, ret+8(FP)
	RET

// func getgWord(off uintptr) (gp uintptr, word uint64)
TEXT ·getgWord(SB),NOSPLIT,$0-24
	MOVD g, R0
	MOVD R0, gp+8(FP)
	MOVD off+0(FP), R1
	ADD R0, R1, R1
	MOVD (R1), R2
	MOVD R2, word+16(FP)
	RET
