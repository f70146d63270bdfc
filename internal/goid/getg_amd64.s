#include "textflag.h"

// func getg() uintptr
TEXT ·getg(SB),NOSPLIT,$0-8
	MOVQ (TLS), AX
	MOVQ AX, ret+0(FP)
	RET

// func load(addr uintptr) uint64
TEXT ·load(SB),NOSPLIT,$0-16
	MOVQ addr+0(FP), AX
	MOVQ (AX), AX
	MOVQ AX, ret+8(FP)
	RET

// func getgWord(off uintptr) (gp uintptr, word uint64)
TEXT ·getgWord(SB),NOSPLIT,$0-24
	MOVQ (TLS), AX
	MOVQ AX, gp+8(FP)
	MOVQ off+0(FP), BX
	ADDQ AX, BX
	MOVQ (BX), CX
	MOVQ CX, word+16(FP)
	RET
