variable "region" {
  description = "AWS region for every resource."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name (dev, staging, prod); part of resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 characters of lower-case letters, digits and dashes."
  }
}

variable "name_prefix" {
  description = "Prefix of resource names."
  type        = string
  default     = "ingest"
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- object storage ----------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the bucket holding raw/, records/, jobs/ and exports/ (INGEST_S3_BUCKET). Globally unique."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, dashes)."
  }
}

variable "kms_key_arn" {
  description = "KMS key for bucket encryption (SSE-KMS). Null: SSE-S3 (AES-256, no key to manage)."
  type        = string
  default     = null
}

variable "raw_transition_days" {
  description = "Days after which uploads under raw/ move to STANDARD_IA (they are read once, by the worker, soon after upload)."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_transition_days >= 30
    error_message = "S3 does not transition objects to STANDARD_IA before 30 days."
  }
}

variable "force_destroy_bucket" {
  description = "Allow `terraform destroy` to delete a non-empty bucket. Keep false outside throw-away environments."
  type        = bool
  default     = false
}

# --- Redis -------------------------------------------------------------------------------

variable "vpc_id" {
  description = "VPC of the cluster that runs the API and the workers."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the Redis nodes, in at least two availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Multi-AZ Redis needs subnets in at least two availability zones."
  }
}

variable "redis_client_security_group_ids" {
  description = "Security groups allowed to reach Redis on its port (e.g. the EKS node or pod security group)."
  type        = list(string)
  default     = []
}

variable "redis_client_cidr_blocks" {
  description = "CIDR blocks allowed to reach Redis on its port, in addition to the security groups."
  type        = list(string)
  default     = []
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.medium"
}

variable "redis_engine_version" {
  description = "Redis OSS engine version (7.x)."
  type        = string
  default     = "7.1"
}

variable "redis_num_cache_clusters" {
  description = "Nodes in the replication group: one primary and N-1 replicas in other zones."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 2 && var.redis_num_cache_clusters <= 6
    error_message = "Multi-AZ with automatic failover needs 2 to 6 nodes."
  }
}

variable "redis_auth_token" {
  description = "AUTH token clients send (16-128 printable characters, no @, \" or /). Goes into INGEST_REDIS_URL / INGEST_BROKER_URL."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.redis_auth_token) >= 16 && length(var.redis_auth_token) <= 128 && !can(regex("[@\"/ ]", var.redis_auth_token))
    error_message = "redis_auth_token must be 16-128 characters without @, \", / or spaces."
  }
}

variable "redis_snapshot_retention_days" {
  description = "Days of daily Redis snapshots kept (0 disables them)."
  type        = number
  default     = 7
}

variable "redis_snapshot_window" {
  description = "Daily UTC window for snapshots (hh24:mi-hh24:mi)."
  type        = string
  default     = "03:00-04:00"
}

variable "redis_maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi); must not overlap the snapshot window."
  type        = string
  default     = "sun:05:00-sun:06:00"
}

# --- IAM for the pods (IRSA) -------------------------------------------------------------

variable "eks_oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider. When set, IAM roles for the api and worker service accounts are created; when null only the policies are."
  type        = string
  default     = null
}

variable "k8s_namespace" {
  description = "Namespace of the ingest service accounts (infra/k8s)."
  type        = string
  default     = "ingest"
}
