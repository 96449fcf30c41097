namespace Pluralistic.Models.Fspo;

/// <summary>Adds FSPO to <see cref="ModelCatalog"/>.</summary>
public static class FspoCatalogExtensions
{
    /// <summary>An FSPO trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static FspoTrainer Fspo(this ModelCatalog catalog, FspoOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new FspoTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new FspoOptions()));
    }
}
