/* SPDX-License-Identifier: MIT */
/*
 * alloc: the out-of-memory policy in one place. These never return NULL:
 * host allocation failure for VMM bookkeeping is fatal (abort with message).
 * Guest RAM is NOT allocated here (see mem/ram.c).
 */
#ifndef RV_UTIL_ALLOC_H
#define RV_UTIL_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
