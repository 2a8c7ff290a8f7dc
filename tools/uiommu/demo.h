/* SPDX-License-Identifier: BSD-3-Clause */
/* Narration for the demos: lines for people, or one JSON document. */
#ifndef UIOMMU_TOOLS_DEMO_H
#define UIOMMU_TOOLS_DEMO_H

#include <stdbool.h>

#include "cli.h"

struct uiommu_host;

struct demo_out {
	bool json;
	/* JSON document position: in "events", in "stats", after them. */
	enum { DEMO_EVENTS, DEMO_STATS, DEMO_FIELDS } at;
	bool first_event, first_stat;
};

void demo_begin(struct demo_out *o, const char *scenario);
void demo_say(struct demo_out *o, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void demo_stat(struct demo_out *o, const char *name, double value);
/* Start a named member of the JSON document whose value the caller
 * prints next; returns true in text mode, where a heading fits. */
bool demo_field(struct demo_out *o, const char *key);
void demo_done(struct demo_out *o, bool ok);

int demo_pci(struct uiommu_host *h, struct demo_out *o);
int demo_siov(struct uiommu_host *h, struct demo_out *o, double seconds);
int demo_nested(struct uiommu_host *h, struct demo_out *o);

#endif
