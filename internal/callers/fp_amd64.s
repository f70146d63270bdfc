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

// func walk(fp uintptr, pcs *uintptr, n int) int
// Follows the frame-pointer chain from the frame at fp, storing up to n
// return addresses at pcs; returns how many it stored.
TEXT ·walk(SB),NOSPLIT,$0-32
	MOVQ fp+0(FP), AX
	MOVQ pcs+8(FP), DI
	MOVQ n+16(FP), CX
	XORQ DX, DX
loop:
	CMPQ DX, CX
	JGE done
	TESTQ AX, AX
	JEQ done
	MOVQ 8(AX), BX
	TESTQ BX, BX
	JEQ done
	MOVQ BX, (DI)(DX*8)
	INCQ DX
	MOVQ (AX), AX
	JMP loop
done:
	MOVQ DX, ret+24(FP)
	RET
