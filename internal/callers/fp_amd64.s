#include "textflag.h"

// func getfp() uintptr
// A frameless function leaves BP as its caller set it.
TEXT ·getfp(SB),NOSPLIT,$0-8
	MOVQ BP, AX
	MOVQ AX, ret+0(FP)
	RET

// func load(addr uintptr) uintptr
TEXT ·load(SB),NOSPLIT,$0-16
	MOVQ addr+0(FP), AX
	MOVQ (AX), AX
	MOVQ AX, ret+8(FP)
	RET
