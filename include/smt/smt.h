// smt: the Sparse Manifold Transform. One include for the whole library
// (docs/algorithm.md explains the pipeline; the folders follow its stages).
#pragma once

// core/: errors, run context and observer, parameters, random streams, images
#include "smt/core/config.h"
#include "smt/core/context.h"
#include "smt/core/error.h"
#include "smt/core/image_set.h"
#include "smt/core/image_view.h"
#include "smt/core/observer.h"
#include "smt/core/parallel.h"
#include "smt/core/rng.h"

// io/: dataset readers and writers, the model file container
#include "smt/io/atomic_file.h"
#include "smt/io/binary_format.h"
#include "smt/io/cifar_reader.h"
#include "smt/io/dataset.h"
#include "smt/io/idx_reader.h"
#include "smt/io/image_decode.h"
#include "smt/io/image_folder.h"
#include "smt/io/npy.h"
#include "smt/io/subset.h"

// stages/: one pipeline step each
#include "smt/stages/compact_codes.h"
#include "smt/stages/dictionary.h"
#include "smt/stages/eigen_solver.h"
#include "smt/stages/patch_extractor.h"
#include "smt/stages/patch_source.h"
#include "smt/stages/pooling.h"
#include "smt/stages/projection.h"
#include "smt/stages/sparse_coder.h"
#include "smt/stages/statistics.h"
#include "smt/stages/whitener.h"

// model/: the fitted model, fitting, features, the estimator facade
#include "smt/model/data_split.h"
#include "smt/model/estimator.h"
#include "smt/model/feature_encoder.h"
#include "smt/model/fit.h"
#include "smt/model/memory_plan.h"
#include "smt/model/model.h"
#include "smt/model/resource_usage.h"
#include "smt/model/run_metrics.h"
#include "smt/model/sgemm_probe.h"
#include "smt/model/train_codes.h"

// eval/: the weighted k-NN
#include "smt/eval/knn.h"
#include "smt/eval/knn_evaluation.h"
