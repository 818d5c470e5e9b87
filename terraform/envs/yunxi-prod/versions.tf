terraform {
  required_version = ">= 1.5"
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.240"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.35"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds the generated passwords: keep it in an encrypted OSS bucket
  # with a Tablestore lock. Values come from backend.hcl (see backend.hcl.example):
  #   terraform init -backend-config=backend.hcl
  backend "oss" {}
}
