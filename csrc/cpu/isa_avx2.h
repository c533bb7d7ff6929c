// Included first by the *_avx2.cpp translation units: compile what follows for AVX2 + FMA and
// select ATen's 256-bit Vectorized implementation, in the at::vec::AVX2 namespace.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx,avx2,fma,f16c")
// The pragma enables the instructions but (in C++) not the feature macros that sleef.h and the
// vec headers test, so state them too.
#ifndef __AVX__
#define __AVX__ 1
#endif
#ifndef __AVX2__
#define __AVX2__ 1
#endif
#ifndef __FMA__
#define __FMA__ 1
#endif
#ifndef __F16C__
#define __F16C__ 1
#endif
#define CPU_CAPABILITY AVX2
#define CPU_CAPABILITY_AVX2
#define SPOKENSTYLE_HAVE_AVX2 1
#else
#define CPU_CAPABILITY DEFAULT
#define SPOKENSTYLE_HAVE_AVX2 0
#endif
