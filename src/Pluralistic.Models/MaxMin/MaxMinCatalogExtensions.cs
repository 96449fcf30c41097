namespace Pluralistic.Models.MaxMin;

/// <summary>Adds MaxMin to <see cref="ModelCatalog"/>.</summary>
public static class MaxMinCatalogExtensions
{
    /// <summary>A MaxMin trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static MaxMinTrainer MaxMin(this ModelCatalog catalog, MaxMinOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MaxMinTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new MaxMinOptions()));
    }
}
