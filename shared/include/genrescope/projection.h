// projection.h: 2-D maps of feature or embedding vectors (PCA, Fisher LDA), cosine nearest neighbours, and a Jacobi symmetric eigensolver.
#pragma once

#include <vector>

namespace gs {

// Eigen-decomposition of a symmetric matrix `a` ([d][d] row-major; only symmetry is assumed, not checked)
// by cyclic Jacobi rotations. On return `values` holds the d eigenvalues in descending order and `vectors`
// the matching unit eigenvectors as rows ([d][d], row k = eigenvector k). Deterministic.
void symmetric_eigen(std::vector<double> a, int d, std::vector<double>& values, std::vector<double>& vectors);

// Projects the rows of X ([n][d] row-major) onto its top `k` principal components (rows centred first).
// Components come from subspace (power) iteration on the covariance with a fixed start and at most
// `max_iterations` rounds; each component's sign is fixed so that its largest coefficient is positive.
// Returns [n][k] (a component of a rank-deficient X may be all zero); empty on bad sizes.
std::vector<float> pca_project(const std::vector<float>& X, int n, int d, int k, int max_iterations = 1000);

// pca_project with the centre and components fitted on the rows `fit_rows` of X only, every row projected: for
// large n a deterministic subsample gives the map at a fraction of the cost. Empty on bad sizes or rows.
std::vector<float> pca_project_subset(const std::vector<float>& X, int n, int d, int k, const std::vector<int>& fit_rows,
                                      int max_iterations = 1000);

// pca_project with k = 2: the classic 2-D PCA map. Returns [n][2].
std::vector<float> pca_2d(const std::vector<float>& X, int n, int d);

// Fisher linear discriminant map: the two directions w maximising (w' Sb w) / (w' Sw w), where Sb and Sw are
// the between- and within-class scatter of the rows whose label lies in [0, n_classes) (the others are still
// projected). Sw is regularised by shrinkage towards a scaled identity,
// Sw' = (1 - shrinkage) Sw + shrinkage * trace(Sw)/d * I, shrinkage in [0, 1], and the generalised problem
// is solved as an ordinary one: eigenvectors u of Sw'^(-1/2) Sb Sw'^(-1/2), w = Sw'^(-1/2) u (so the within-class
// spread along each axis is about 1). With 2 classes only the first axis is discriminant. Cost O(n d^2 + d^3);
// for d > 256 the rows are first reduced to their top 64 principal components (PCA + LDA).
// Returns [n][2] (centred); empty on bad sizes or when no row has a valid label.
std::vector<float> lda_2d(const std::vector<float>& X, int n, int d, const std::vector<int>& labels, int n_classes,
                          double shrinkage = 0.1);

// One neighbour of a query row: its row index and cosine distance 1 - cos(a, b), in [0, 2].
struct neighbour {
    int index = -1;
    float distance = 0.0f;
};

// The k rows of X ([n][d] row-major) nearest to row `query` by cosine distance, nearest first, the query
// itself left out; ties go to the lower index, so the order is deterministic. A row of zeros (or with a
// non-finite value) has distance 1 to everything and is never returned ahead of a proper row at the same
// distance. k is clamped to [0, n - 1]. Empty on bad sizes or an out-of-range query. Cost O(n d).
std::vector<neighbour> cosine_neighbours(const std::vector<float>& X, int n, int d, int query, int k);

// Cosine distance of two rows of length d (1 when either is all zero or not finite).
float cosine_distance(const float* a, const float* b, int d);

}  // namespace gs
