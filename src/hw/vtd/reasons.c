/* SPDX-License-Identifier: BSD-3-Clause */
/* Fault reasons in words (VT-d 7.1.3, scalable-mode condition codes). */
#include <uiommu/hw/vtd.h>

const char *vtd_fault_reason_str(unsigned reason)
{
	switch (reason) {
	case VTD_FR_SM_RTA_INVALID: return "RTA.1 invalid root table address";
	case VTD_FR_SM_TTM0_PASID: return "RTA.2 legacy mode, request with PASID";
	case VTD_FR_SM_TTM0_PRQ: return "RTA.3 legacy mode, page request";
	case VTD_FR_SM_ROOT_ACCESS: return "SRT.1 root entry access error";
	case VTD_FR_SM_ROOT_P: return "SRT.2 root entry not present";
	case VTD_FR_SM_ROOT_RSVD: return "SRT.3 root entry reserved bits";
	case VTD_FR_SM_CTX_ACCESS: return "SCT.1 context entry access error";
	case VTD_FR_SM_CTX_P: return "SCT.2 context entry not present";
	case VTD_FR_SM_CTX_RSVD: return "SCT.3 context entry reserved bits";
	case VTD_FR_SM_CTX_INVALID: return "SCT.4 invalid context entry";
	case VTD_FR_SM_CTX_DTE: return "SCT.5 device TLB not enabled (DTE)";
	case VTD_FR_SM_CTX_PASIDE: return "SCT.6 request with PASID, PASIDE clear";
	case VTD_FR_SM_CTX_PASID_MAX: return "SCT.7 PASID beyond the PASID directory";
	case VTD_FR_SM_CTX_PRE: return "SCT.8 page request, PRE clear";
	case VTD_FR_SM_CTX_RID_PASID: return "SCT.9 RID_PASID error";
	case VTD_FR_SM_PDE_ACCESS: return "SPD.1 PASID directory entry access error";
	case VTD_FR_SM_PDE_P: return "SPD.2 PASID directory entry not present";
	case VTD_FR_SM_PDE_RSVD: return "SPD.3 PASID directory entry reserved bits";
	case VTD_FR_SM_PTE_ACCESS: return "SPT.1 PASID table entry access error";
	case VTD_FR_SM_PTE_P: return "SPT.2 PASID table entry not present";
	case VTD_FR_SM_PTE_RSVD: return "SPT.3 PASID table entry reserved bits";
	case VTD_FR_SM_PTE_INVALID: return "SPT.4 invalid PASID table entry";
	case VTD_FR_SM_PTE_ERE: return "SPT.5 execute request, ERE clear";
	case VTD_FR_SM_PTE_SRE: return "SPT.6 supervisor request, SRE clear";
	case VTD_FR_SM_FS_ACCESS: return "SFS.1 first-stage entry access error";
	case VTD_FR_SM_FS_P: return "SFS.2 first-stage entry not present";
	case VTD_FR_SM_FS_RSVD: return "SFS.3 first-stage entry reserved bits";
	case VTD_FR_SM_FS_PTR_ACCESS: return "SFS.4 first-stage table pointer access error";
	case VTD_FR_SM_FS_NEST_MGAW: return "SFS.5 nested: first-stage entry beyond MGAW";
	case VTD_FR_SM_FS_NEST_RD_PTR: return "SFS.6 nested: first-stage root not readable";
	case VTD_FR_SM_FS_NEST_RD: return "SFS.7 nested: first-stage entry not readable";
	case VTD_FR_SM_FS_NEST_WR: return "SFS.8 nested: first-stage entry not writable";
	case VTD_FR_SM_SS_ACCESS: return "SSS.1 second-stage entry access error";
	case VTD_FR_SM_SS_NOT_PRESENT: return "SSS.2 second-stage entry not present";
	case VTD_FR_SM_SS_RSVD: return "SSS.3 second-stage entry reserved bits";
	case VTD_FR_SM_SS_PTR_INVALID: return "SSS.4 invalid second-stage table pointer";
	case VTD_FR_SM_NON_CANONICAL: return "SGN.1 non-canonical address";
	case VTD_FR_SM_US: return "SGN.2 user request to a supervisor page";
	case VTD_FR_SM_NX: return "SGN.3 no execute permission";
	case VTD_FR_SM_ADDR_BEYOND: return "SGN.4 address beyond the input width";
	case VTD_FR_SM_OUT_BEYOND: return "SGN.5 output address beyond the host width";
	case VTD_FR_SM_WRITE: return "SGN.6 write not permitted";
	case VTD_FR_SM_READ: return "SGN.7 read not permitted";
	case VTD_FR_SM_INTR_RANGE: return "SGN.8 output in the interrupt range";
	case VTD_FR_SM_FS_AD_FAILED: return "SFS.10 first-stage A/D update failed";
	default: return "unknown fault reason";
	}
}
