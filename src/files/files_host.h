/* SPDX-License-Identifier: BSD-3-Clause */
/* The file layer's private interfaces between its own files. */
#ifndef UIOMMU_FILES_FILES_HOST_H
#define UIOMMU_FILES_FILES_HOST_H

#include "file.h"

struct devnode {
	char *path;                 /* ends with '/' for a directory */
	const struct file_operations *fops;
	const struct devnode_dir_ops *dir_ops;
	void *node_data;
	struct list_node node;      /* files_host.nodes, sorted by path */
};

/* A host's share of the file layer. */
struct files_host {
	pthread_mutex_t lock;       /* nodes and files */
	struct list_node nodes;     /* struct devnode */
	struct list_node files;     /* live struct file of this host */
};

/* file.c */
int file_create(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		void *priv, int flags, struct file **out);
bool file_tryget(struct file *f);
/* devnode.c: link a new file into / out of its host's list. */
void files_host_link(struct file *f);
void files_host_unlink(struct file *f);
/* fdtable.c */
int file_open_node(struct uiommu_host *h, const char *name, const struct file_operations *fops,
		   void *node_data, int flags);
int fd_install(int fd, struct file *f);
/* Close every descriptor and mapping of the host's files. */
void fdtable_close_host(struct uiommu_host *h);
/* mmap.c */
void vma_close_host(struct uiommu_host *h);

#endif
