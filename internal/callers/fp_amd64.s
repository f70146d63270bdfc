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

// func Caller() uintptr
// A frameless function leaves BP as its caller set it: the caller's
// return address is just above its saved frame pointer.
TEXT ·Caller(SB),NOSPLIT,$0-8
	MOVBLZX ·callerOK(SB), AX
	TESTQ AX, AX
	JEQ none
	MOVQ 8(BP), AX
	MOVQ AX, ret+0(FP)
	RET
none:
	MOVQ $0, ret+0(FP)
	RET
