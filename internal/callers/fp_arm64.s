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

// func walk(fp uintptr, pcs *uintptr, n int) int
TEXT ·walk(SB),NOSPLIT,$0-32
	MOVD fp+0(FP), R0
	MOVD pcs+8(FP), R1
	MOVD n+16(FP), R2
	MOVD $0, R3
loop:
	CMP R2, R3
	BGE done
	CBZ R0, done
	MOVD 8(R0), R4
	CBZ R4, done
	MOVD R4, (R1)(R3<<3)
	ADD $1, R3
	MOVD (R0), R0
	B loop
done:
	MOVD R3, ret+24(FP)
	RET
