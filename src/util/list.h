/* SPDX-License-Identifier: BSD-3-Clause */
/* Intrusive circular doubly-linked list. */
#ifndef UIOMMU_UTIL_LIST_H
#define UIOMMU_UTIL_LIST_H

#include <stdbool.h>
#include "compiler.h"

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->next = next;
	n->prev = prev;
	prev->next = n;
	next->prev = n;
}

static inline void list_add_tail(struct list_node *n, struct list_node *h)
{
	list_insert_between(n, h->prev, h);
}

static inline void list_add_head(struct list_node *n, struct list_node *h)
{
	list_insert_between(n, h, h->next);
}

static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

static inline size_t list_count(const struct list_node *h)
{
	size_t c = 0;
	for (const struct list_node *n = h->next; n != h; n = n->next)
		c++;
	return c;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#define list_for_each_entry(pos, head, member)                                \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member);    \
	     &(pos)->member != (head);                                        \
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

#define list_for_each_entry_safe(pos, tmp, head, member)                      \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member),    \
	     (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member); \
	     &(pos)->member != (head);                                        \
	     (pos) = (tmp),                                                   \
	     (tmp) = list_entry((tmp)->member.next, __typeof__(*(tmp)), member))

#endif
