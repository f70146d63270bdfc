#include "textflag.h"

// func getfp() uintptr
TEXT ·getfp(SB),NOSPLIT,$0-8
	MOVD R29, R0
	MOVD R0, ret+0(FP)
	RET

// func load(addr uintptr) uintptr
TEXT ·load(SB),NOSPLIT,$0-16
	MOVD addr+0(FP), R0
	MOVD (R0), R0
	MOVD R0, ret+8(FP)
	RET

// func Caller() uintptr
TEXT ·Caller(SB),NOSPLIT,$0-8
	MOVBU ·callerOK(SB), R0
	CBZ R0, none
	MOVD 8(R29), R0
	MOVD R0, ret+0(FP)
	RET
none:
	MOVD ZR, ret+0(FP)
	RET
